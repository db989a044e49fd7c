import { createRequire } from 'node:module';
import type { createJiti } from 'jiti';

/**
 * jiti's `createJiti`, loaded with `require` rather than `import()`. jiti's ESM entry imports its
 * 190 kB CommonJS build, which Node then scans with cjs-module-lexer to find its exports (~40 ms
 * on Node 20); `require` (jiti's `require` export condition) loads the same build without the scan.
 */
export function loadJiti(): typeof createJiti {
  return (createRequire(import.meta.url)('jiti') as typeof import('jiti')).createJiti;
}
