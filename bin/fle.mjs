#!/usr/bin/env node
// The `fle` command: runs cli/entry.ts from source (see ts-run.mjs).
import { runTs } from './ts-run.mjs';

await runTs('cli/entry.ts');
