import type { GenericSchema } from 'valibot';
import type { MigrationAdapter } from './contract.js';

/**
 * What an engine folder (adapters/<kind>/descriptor.ts) tells the core about its kind: the
 * options a config entry may hold, how to build the adapter (loaded lazily, so a command only
 * pays for the engines it uses), and how `init` finds it in a repository. Everything an engine
 * knows lives in its folder; the registry is only the list of descriptors.
 */
export interface EngineDescriptor {
  kind: string;
  /** The config entry's schema (valibot), checked when the config loads. */
  optionsSchema: GenericSchema;
  /** Environment variables whose values the engine's runtime receives as secrets (never to be printed). */
  secretEnvironment?(options: Record<string, unknown>): string[];
  /** Import the adapter's code and build one adapter for a config entry. */
  create(env: AdapterEnvironment): Promise<MigrationAdapter>;
  /** `init`: what of this engine is in one package folder of the repository. */
  detect?(folder: DetectionFolder): DetectedEngine[];
  /**
   * `init` writes engines in ascending order of this rank (the engines others reference come
   * first), and says why in `initReason`.
   */
  initRank: number;
  initReason?: string;
}

/** What the core hands an engine's factory for one config entry. */
export interface AdapterEnvironment {
  /** The engine entry, validated, with `name` filled in and `migrations` made absolute. */
  options: Record<string, unknown> & { name: string; kind: string; migrations: string };
  /** Directory of the config file: the base of every relative path. */
  configDir: string;
  /** polymigrate's own schema (journal, SQL-folder history). */
  journalSchema: string;
}

/** A package folder `init` looks at. */
export interface DetectionFolder {
  /** The repository root (where the config is written). */
  root: string;
  /** The package folder (the root itself, or a workspace package). */
  dir: string;
  /** `path` relative to the root, with forward slashes ('.' for the root). */
  rel: (absolute: string) => string;
}

export interface DetectedEngine {
  kind: string;
  /** The name's engine part: the package folder's name is put in front of it in a workspace. */
  name: string;
  /** Relative to the repository root, with forward slashes. */
  migrations: string;
  /** Further options of the entry, as literals. */
  extra: Record<string, string>;
  /** Where it was found, for the explanation. */
  evidence: string;
}
