/**
 * `npm run bench [-- --quick] [-- --update]`: every benchmark, a table on stdout, and the figures in
 * `.artifacts/bench-results.json` (git-ignored), or in the committed reference `bench/results.json`
 * with `--update`. Speed goals live here, never in timed tests.
 */
import { formatResults, runBench, writeResults } from './run-bench';

const quick = process.argv.includes('--quick');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const results = await runBench({ quick, log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(formatResults(results));
const file = process.argv.includes('--update') ? 'bench/results.json' : '.artifacts/bench-results.json';
writeResults(file, results);
process.stderr.write(`wrote ${file}\n`);
