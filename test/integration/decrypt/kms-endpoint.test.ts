import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { DecryptCommand, type DecryptCommandInput, GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_ARN_01, KEY_ARN_02, loopbackKmsClient } from '../../helpers/decrypt';
import { testKeyPair } from '../../helpers/keys';
import { type FakeKms, startFakeKms } from '../../helpers/kms-server';

/** The loopback endpoint must hold the SDK to what KMS holds it to, or the KMS tests prove nothing. */
let kms: FakeKms;
const ciphertext = () =>
  publicEncrypt({ key: testKeyPair().publicKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('x'));

beforeAll(async () => {
  kms = await startFakeKms([
    { arn: KEY_ARN_01, privateKeyPem: testKeyPair().privateKeyPem },
    { arn: KEY_ARN_02, privateKeyPem: testKeyPair().privateKeyPem, keyUsage: 'SIGN_VERIFY' },
  ]);
});
afterAll(async () => {
  await kms.close();
});

async function errorName(command: DecryptCommand | GetPublicKeyCommand): Promise<string> {
  try {
    await loopbackKmsClient(kms.url, 1).send(command as DecryptCommand);
  } catch (error) {
    return (error as Error).name;
  }
  return 'no error';
}

describe('the loopback KMS endpoint behaves as KMS does for RSA keys', () => {
  it('decrypts with KeyId and RSAES_OAEP_SHA_256', async () => {
    const result = await loopbackKmsClient(kms.url).send(
      new DecryptCommand({ KeyId: KEY_ARN_01, CiphertextBlob: ciphertext(), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }),
    );
    expect(Buffer.from(result.Plaintext!).toString()).toBe('x');
    expect(result.KeyId).toBe(KEY_ARN_01);
  });

  it.each<[string, DecryptCommandInput, string]>([
    ['no KeyId', { CiphertextBlob: ciphertext(), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }, 'ValidationException'],
    ['no algorithm (SYMMETRIC_DEFAULT)', { KeyId: KEY_ARN_01, CiphertextBlob: ciphertext() }, 'InvalidKeyUsageException'],
    [
      'an encryption context',
      { KeyId: KEY_ARN_01, CiphertextBlob: ciphertext(), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', EncryptionContext: { a: 'b' } },
      'ValidationException',
    ],
    [
      'the SHA-1 algorithm for a SHA-256 ciphertext',
      { KeyId: KEY_ARN_01, CiphertextBlob: ciphertext(), EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' },
      'InvalidCiphertextException',
    ],
    [
      'an unknown key',
      { KeyId: 'arn:aws:kms:us-east-1:111122223333:key/nope', CiphertextBlob: ciphertext(), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' },
      'NotFoundException',
    ],
    [
      'a signing key',
      { KeyId: KEY_ARN_02, CiphertextBlob: ciphertext(), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' },
      'InvalidKeyUsageException',
    ],
  ])('refuses Decrypt with %s', async (_name, input, expected) => {
    expect(await errorName(new DecryptCommand(input))).toBe(expected);
  });

  it('answers GetPublicKey with the DER public key, spec, usage and algorithms', async () => {
    const result = await loopbackKmsClient(kms.url).send(new GetPublicKeyCommand({ KeyId: KEY_ARN_01 }));
    const pem = createPublicKey({ key: Buffer.from(result.PublicKey!), format: 'der', type: 'spki' }).export({
      type: 'spki',
      format: 'pem',
    });
    expect(pem).toBe(testKeyPair().publicKeyPem);
    expect(result).toMatchObject({
      KeySpec: 'RSA_2048',
      KeyUsage: 'ENCRYPT_DECRYPT',
      EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'],
    });
  });
});
