#!/usr/bin/env node
// The `im` binary: loads the TypeScript sources through tsx (the workspace runs
// from source) and hands over to src/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Every command closes what it opened; should a socket linger anyway, do not hang the shell.
setTimeout(() => process.exit(code), 2_000).unref();
