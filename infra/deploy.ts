/**
 * `npm run deploy [-- --dry-run] [-- <cdk options>]`: the real deployment (see deploy-runner.ts).
 * Options after `--` go to every `cdk` call (for example `-c edge-fle:originDomain=api.example.com`
 * or `--profile prod`); `-c edge-fle:*` values also steer this script. `--dry-run` checks and
 * prints the plan, and changes nothing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { GenerateDataKeyWithoutPlaintextCommand, GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { secretEncryptionContext } from '../core/format/secret';
import { DeployRefused, runDeploy } from './deploy-runner';
import { ParamsError, readParams } from './params';

const argv = process.argv.slice(2);
const dryRun = argv.includes('--dry-run');
const cdkArgs = argv.filter((a) => a !== '--dry-run');
const context: Record<string, unknown> = {
  ...(JSON.parse(readFileSync('cdk.json', 'utf8')) as { context?: Record<string, unknown> }).context,
};
for (let i = 0; i < cdkArgs.length; i += 1) {
  const flag = cdkArgs[i];
  const value = cdkArgs[i + 1];
  if ((flag === '-c' || flag === '--context') && value && value.indexOf('=') > 0) {
    context[value.slice(0, value.indexOf('='))] = value.slice(value.indexOf('=') + 1);
  }
  // The checks and KMS calls here use the same profile as cdk.
  if (flag === '--profile' && value) process.env.AWS_PROFILE = value;
}

try {
  const params = readParams((key) => context[key]);
  const kms = new KMSClient({ region: params.dataRegion });
  const sts = new STSClient({ region: params.dataRegion });
  await runDeploy(params, cdkArgs, dryRun, {
    identity: async () => {
      try {
        const who = await sts.send(new GetCallerIdentityCommand({}));
        return { account: who.Account ?? '', arn: who.Arn ?? '' };
      } catch (error) {
        return { error: error instanceof Error ? error.name : 'unknown error' };
      }
    },
    publicKeyOf: async (keyArn) => {
      const result = await kms.send(new GetPublicKeyCommand({ KeyId: keyArn }));
      if (!result.PublicKey) throw new DeployRefused(`KMS returned no public key for ${keyArn}`);
      return result.PublicKey;
    },
    makeSecret: async (kmsKeyId, version, keyId) => {
      const made = await kms.send(
        new GenerateDataKeyWithoutPlaintextCommand({
          KeyId: kmsKeyId,
          KeySpec: 'AES_256',
          EncryptionContext: secretEncryptionContext(version, keyId),
        }),
      );
      if (!made.CiphertextBlob || !made.KeyId) throw new DeployRefused(`KMS made no edge secret version ${version} with ${kmsKeyId}`);
      return { keyArn: made.KeyId, ciphertextBlob: made.CiphertextBlob };
    },
    run: async (step, [command, ...args]) => {
      const result = spawnSync(command as string, args, { stdio: 'inherit' });
      if (result.status !== 0) {
        throw new DeployRefused(
          `"${step.title}" failed; nothing after it ran. Fix the cause and run npm run deploy again (every step is idempotent).`,
        );
      }
    },
    log: (line) => console.log(line),
  });
} catch (error) {
  if (!(error instanceof DeployRefused || error instanceof ParamsError)) throw error;
  console.error(`edge-fle: ${error.message}`);
  process.exit(1);
}
