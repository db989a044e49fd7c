// Loader hooks for module-trace.mjs: append each resolved URL to the trace file.
import fs from 'node:fs';

let out;
export function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  if (out && result.url.startsWith('file:')) fs.appendFileSync(out, `${result.url}\n`);
  return result;
}
