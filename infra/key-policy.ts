import { EC_KEY_SPEC, type ResolvedKey } from '../core/config';

/** The KMS actions the key policies are built from, shared by the RSA/P-256 keys and the edge secret's key. */

/**
 * Actions that manage a key without using it or widening who may use it: no Decrypt, no Encrypt,
 * no ReEncrypt, no DeriveSharedSecret, no CreateGrant (a grant is a way to give oneself Decrypt),
 * no PutKeyPolicy (only the deployment changes the policy; see {@link KeysStackProps.deployRoleArn}).
 */
export const ADMIN_ACTIONS = [
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:UpdateAlias',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:UpdateKeyDescription',
  'kms:RevokeGrant',
  'kms:RetireGrant',
  'kms:Disable*',
  'kms:Get*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

/** How a key is opened: an RSA key decrypts (the post's payload, E1); a P-256 key agrees (E2). */
export function useAction(key: ResolvedKey): 'kms:Decrypt' | 'kms:DeriveSharedSecret' {
  return key.keySpec === EC_KEY_SPEC ? 'kms:DeriveSharedSecret' : 'kms:Decrypt';
}

/** Uses of a key only the decrypt roles (and declared rotation jobs) may make. */
export const USE_ACTIONS = ['kms:Decrypt', 'kms:DeriveSharedSecret'];

/** Actions nobody needs: grants would hand Decrypt out around the policy; ReEncrypt decrypts inside KMS. */
export const NEVER_ACTIONS = ['kms:CreateGrant', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'];
