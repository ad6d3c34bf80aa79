#!/usr/bin/env node
// Runs the TypeScript CLI (src/cli.ts) through tsx, as the workspace consumes its packages from source.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
