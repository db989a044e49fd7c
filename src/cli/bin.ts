#!/usr/bin/env node
import module from 'node:module';

// Node ≥ 22.1 can keep compiled code on disk between runs; polymigrate is started often (every
// deploy, every status) and its modules rarely change. Older Node has no such cache.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

performance.mark('polymigrate:bin');
await import('./main.js');
