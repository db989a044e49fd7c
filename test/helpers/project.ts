import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { memoryPlaceFor } from '../../src/shadow/memory-tablespace.js';

/** A throwaway project folder: write files by relative path, get absolute paths back. */
export class TempProject {
  readonly dir: string;
  constructor(prefix = 'pm-project-') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  }
  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }
  write(relative: string, content: string): string {
    const file = this.path(relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  }
  read(relative: string): string {
    return fs.readFileSync(this.path(relative), 'utf8');
  }
  remove(relative: string): void {
    fs.rmSync(this.path(relative), { recursive: true, force: true });
  }
  config(config: unknown): string {
    return this.write('polymigrate.config.json', JSON.stringify(config, null, 2));
  }
  cleanup(): void {
    // An embedded shadow's memory tablespace folder (/dev/shm) belongs to its data folder: it goes too.
    const shadow = this.path('.polymigrate', 'shadow');
    for (const name of fs.existsSync(shadow) ? fs.readdirSync(shadow) : []) {
      const major = /^pg(\d+)$/.exec(name)?.[1];
      const place = major ? memoryPlaceFor(path.join(shadow, name), Number(major), undefined) : undefined;
      if (place) fs.rmSync(place.location, { recursive: true, force: true });
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
