/**
 * `npm run bench [-- --quick]`: every benchmark, a table on stdout, `bench/results.json`.
 * Speed goals live here, never in timed tests.
 */
import { formatResults, runBench, writeResults } from './run-bench';

const quick = process.argv.includes('--quick');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const results = await runBench({ quick, log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(formatResults(results));
writeResults('bench/results.json', results);
process.stderr.write('wrote bench/results.json\n');
