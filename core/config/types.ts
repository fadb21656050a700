/**
 * The config's types and constants: what a valid config holds, and the problems an invalid one has.
 */
import type { Normalization } from '../normalize';

/** HTTP methods CloudFront forwards; a route naming anything else is a config error. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * How values are encrypted. `rsa`: a string that fits one RSA block gets the reference post's
 * payload, anything else (longer strings, other JSON types) an envelope. `envelope`: every value
 * gets an envelope (one RSA-wrapped data key per request and key, AES-GCM per value).
 */
export const ROUTE_MODES = ['rsa', 'envelope'] as const;
export type RouteMode = (typeof ROUTE_MODES)[number];

/**
 * What the edge does with a body on a path no route names. `protect`: the configured sensitive
 * names are protected wherever they appear, planted markers and truncated bodies are refused.
 * `reject`: no body passes. `forward`: the body reaches the origin untouched (an explicit opt-in;
 * the edge logs a warning at start and `fle check-config` warns).
 */
export const UNMATCHED_POLICIES = ['protect', 'reject', 'forward'] as const;
export type UnmatchedPolicy = (typeof UNMATCHED_POLICIES)[number];

/** Defaults for the body limits; a config may lower or raise them under `limits`. */
export const DEFAULT_LIMITS: Readonly<Limits> = { maxDepth: 64, maxValues: 100_000 };

/** Smallest RSA modulus accepted (KMS offers 2048, 3072 and 4096). */
export const MIN_RSA_BITS = 2048;

/** The KMS key specs for RSA encryption keys. */
export const RSA_KEY_SPECS = ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const;

/** The KMS key spec for E2: an ECC key with `KEY_AGREEMENT` usage (KMS `DeriveSharedSecret`). */
export const EC_KEY_SPEC = 'ECC_NIST_P256';

/** Every key spec a config may name. */
export const KEY_SPECS = [...RSA_KEY_SPECS, EC_KEY_SPEC] as const;
export type KeySpec = (typeof KEY_SPECS)[number];

/** Body limits applied to every protected request. */
export interface Limits {
  /** Deepest nesting of JSON arrays and objects accepted (the root container is depth 1). */
  readonly maxDepth: number;
  /** Most values (every scalar, array and object, or every form pair) accepted in one body. */
  readonly maxValues: number;
}

/** A configured key, with its public key read and checked. */
export interface ResolvedKey {
  readonly id: string;
  /** The SPKI PEM text. */
  readonly publicKeyPem: string;
  /** Where the PEM came from, as written in the config. */
  readonly publicKeyFile: string;
  readonly kmsKeyId?: string;
  /** The KMS key spec matching the public key; undefined for a size KMS does not offer (external keys only). */
  readonly keySpec?: KeySpec;
  /** The RSA modulus size; 0 for a P-256 key. */
  readonly modulusBits: number;
  /** Largest plaintext (UTF-8 bytes) one RSA-OAEP-SHA-256 block holds: k - 2*32 - 2; 0 for a P-256 key (every value is E2). */
  readonly maxPlaintextBytes: number;
}

/** How one configured field is protected: which key, which mode (both resolved from defaults). */
export interface FieldRule {
  /** The key id: the field's own `key`, or the config's `encryptWith`. */
  readonly key: string;
  /** The field's own `mode`, or its route's. */
  readonly mode: RouteMode;
  /**
   * The searchable index the field belongs to: its values get deterministic `D1` markers (the same
   * normalised value, the same marker), under the index's key id. Absent: randomised markers.
   */
  readonly index?: string;
}

/** A searchable index: equality search over the fields that name it. */
export interface SearchIndex {
  /** Lower-case letters, digits, `_` and `-`; it appears in every marker of the index. */
  readonly name: string;
  /** The key id its markers carry (decrypt audiences are scoped by key id): the index's `key`, or `encryptWith`. */
  readonly key: string;
  /** Bump to change the normalisation or re-key the index alone (1 to 255). */
  readonly version: number;
  /** What makes two spellings one value; applied in a fixed order (see `core/normalize.ts`). */
  readonly normalize: readonly Normalization[];
}

/** One version of the edge secret, as its file holds it. */
export type EdgeSecretVersion =
  | {
      readonly version: number;
      readonly file: string;
      readonly source: 'kms';
      /** The symmetric KMS key that wrapped it (as GenerateDataKey returned it: a key ARN). */
      readonly kmsKeyId: string;
      /**
       * Key id → KMS ciphertext of that key id's secret, base64; opened with KMS Decrypt and
       * `secretEncryptionContext(version, keyId)`. One per key id, so an audience unwraps only its own.
       */
      readonly ciphertextBlobs: Readonly<Record<string, string>>;
    }
  | {
      readonly version: number;
      readonly file: string;
      readonly source: 'local';
      /** A development secret in clear, base64 (each key id's secret derived from it): never deployable. */
      readonly secret: string;
    };

/** The edge secret: what makes searchable markers and proves which markers the edge made. */
export interface EdgeSecretConfig {
  /** The symmetric KMS key (multi-Region) that wraps every version; `npm run deploy` makes new versions with it. */
  readonly kmsKeyId?: string;
  /** The version the edge writes with. */
  readonly current: number;
  /** Every version still readable: the current one and those markers in storage may still use. */
  readonly versions: readonly EdgeSecretVersion[];
  /**
   * Decrypt markers that carry no proof (written before the secret existed, or by the reference
   * post's code). Off by default: then a marker minted with only the public key does not decrypt.
   */
  readonly acceptUnprovenMarkers: boolean;
}

/** A JSONPath and how what it selects is protected. */
export interface JsonField extends FieldRule {
  readonly path: string;
}

/** A form field name and how its values are protected. */
export interface FormField extends FieldRule {
  readonly name: string;
}

/** A sensitive name, protected in every body and refused in the query string, on every path. */
export interface NameField extends FieldRule {
  readonly name: string;
}

/** A route: which requests, which fields. */
export interface Route {
  readonly name: string;
  /**
   * The methods the route is documented for. Bodies are inspected whatever the method (a DELETE
   * with a body, a method-override header): the method never decides whether a body is protected.
   */
  readonly methods: readonly HttpMethod[];
  /**
   * CloudFront-style path pattern: `*` any run of characters, `?` one character. Matched against
   * the canonical path (see `edge/canonical-path.ts`), case-insensitively unless `caseSensitive`.
   */
  readonly path: string;
  readonly caseSensitive: boolean;
  readonly json: readonly JsonField[];
  readonly form: readonly FormField[];
  readonly mode: RouteMode;
}

/** Who may decrypt which keys: the infrastructure makes one decrypt function per audience. */
export interface Audience {
  /** Letters, digits and `-`, used in resource names. */
  readonly name: string;
  /** The key ids this audience may decrypt; markers of other keys stay ciphertext for it. */
  readonly keys: readonly string[];
  /** IAM principal ARNs (roles, users or account roots) allowed to invoke its decrypt function. */
  readonly invokers: readonly string[];
}

/** A config that passed every check. */
export interface FleConfig {
  readonly keys: readonly ResolvedKey[];
  readonly encryptWith: string;
  readonly names: readonly NameField[];
  readonly unmatched: UnmatchedPolicy;
  readonly routes: readonly Route[];
  readonly limits: Limits;
  /** Empty when the config names none: then one decrypt function holds every key. */
  readonly audiences: readonly Audience[];
  /** Absent: no searchable fields, and markers carry no proof. */
  readonly edgeSecret?: EdgeSecretConfig;
  readonly indexes: readonly SearchIndex[];
}

/** The part of a config the edge function needs, baked into its bundle. */
export interface EdgeConfig {
  readonly keys: readonly { readonly id: string; readonly publicKeyPem: string }[];
  readonly encryptWith: string;
  readonly names: readonly NameField[];
  readonly unmatched: UnmatchedPolicy;
  readonly routes: readonly Route[];
  readonly limits: Limits;
  /** The secret version the edge writes with; absent when the config declares no edge secret. */
  readonly secret?: EdgeSecretVersion;
  /** The searchable indexes (absent: none). */
  readonly indexes?: readonly SearchIndex[];
}

/** One thing wrong with a config, with where it is. */
export interface ConfigProblem {
  /** Where: `keys[0] (01)`, `routes[1] (people).json[2] "$[*.ssn"`, … */
  readonly where: string;
  readonly message: string;
}

/** Thrown by {@link validateConfig} with every problem found, never just the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'InvalidConfig';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`config has ${problems.length} problem(s):\n${problems.map((p) => `- ${p.where}: ${p.message}`).join('\n')}`);
  }
}

/** Reads a key file named in the config (relative to the config file). Throws when unreadable. */
export type ReadKeyFile = (path: string) => string;
