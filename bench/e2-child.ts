/**
 * E2 sealing per value against the AES-256-GCM floor, in a fresh process (the main bench process
 * has by then built megabytes of bodies, and its heap slows small allocations): argv public key
 * file, fields per round, rounds. Prints the {@link E2PerField} JSON.
 */
import { readFileSync } from 'node:fs';
import { benchE2PerField } from './payload-bench';

const [keyFile = '', fields = '2000', runs = '25'] = process.argv.slice(2);
process.stdout.write(JSON.stringify(benchE2PerField(readFileSync(keyFile, 'utf8'), Number(fields), Number(runs))));
