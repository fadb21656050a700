/**
 * `npm run deploy [-- <cdk options>]`: the real deployment, in order (see deploy-plan.ts).
 * Options after `--` go to every `cdk deploy` (for example `-c edge-fle:originDomain=api.example.com`
 * or `--profile prod`); `-c edge-fle:*` values also steer this script.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadDeployConfig } from '../cli/dev-keys';
import { type DeployStep, deployPlan, KEYS_OUTPUTS_FILE, keyArnsFromOutputs } from './deploy-plan';
import { readParams } from './params';

const cdkArgs = process.argv.slice(2);
const context: Record<string, unknown> = {
  ...(JSON.parse(readFileSync('cdk.json', 'utf8')) as { context?: Record<string, unknown> }).context,
};
for (let i = 0; i < cdkArgs.length; i += 1) {
  const flag = cdkArgs[i];
  const value = flag === '-c' || flag === '--context' ? cdkArgs[i + 1] : undefined;
  const equals = value?.indexOf('=') ?? -1;
  if (value && equals > 0) context[value.slice(0, equals)] = value.slice(equals + 1);
}
const params = readParams((key) => context[key]);
if (params.originDomain === 'origin.example.com') {
  console.error('edge-fle: set your origin first: npm run deploy -- -c edge-fle:originDomain=<your API domain>');
  process.exit(1);
}
const { config } = loadDeployConfig(params.configFile, 'build');

function run(step: DeployStep): void {
  console.log(`\n== ${step.title}: ${[step.command, ...step.args].join(' ')}`);
  const result = spawnSync(step.command, [...step.args], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`edge-fle: "${step.title}" failed; nothing after it ran. Fix the cause and run npm run deploy again.`);
    process.exit(result.status ?? 1);
  }
}

const [keysStep] = deployPlan(params, config, undefined, cdkArgs);
run(keysStep as DeployStep);
const keyArns = keyArnsFromOutputs(JSON.parse(readFileSync(KEYS_OUTPUTS_FILE, 'utf8')), params.prefix);
for (const step of deployPlan(params, config, keyArns, cdkArgs).slice(1)) run(step);
console.log(`\nedge-fle: deployed. Key ARNs (put them in ${params.configFile} as kmsKeyId for fle decrypt):`);
for (const [id, arn] of keyArns) console.log(`  ${id}  ${arn}`);
