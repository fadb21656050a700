/**
 * A searchable value's cost, its AES-SIV floor and the proof's cost, in a fresh process (the main
 * bench process has by then built megabytes of bodies, and its heap slows small allocations, as for
 * E2): argv RSA public key file, fields per round, rounds. Prints the `SearchablePerField` JSON.
 */
import { readFileSync } from 'node:fs';
import { benchSearchablePerField } from './searchable-bench';

const [keyFile = '', fields = '2000', runs = '25'] = process.argv.slice(2);
process.stdout.write(JSON.stringify(benchSearchablePerField(readFileSync(keyFile, 'utf8'), Number(fields), Number(runs))));
