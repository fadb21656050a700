/** The config baked into the edge bundle at build time (Lambda@Edge has no environment variables). */
declare module 'fle:edge-config' {
  const config: import('../core/config').EdgeConfig;
  export default config;
}

/** jsonpath-plus for paths with expressions, when the config has any; undefined otherwise. */
declare module 'fle:expression-engine' {
  const engine: import('../edge/expression-engine').ExpressionEngine | undefined;
  export default engine;
}

/** The D1 (AES-SIV) sealing for searchable indexes, when the config has any; undefined otherwise. */
declare module 'fle:searchable' {
  const seal: import('../core/format/d1').SealD1 | undefined;
  export default seal;
}

/** The baked edge secret version's keys (unwrapped by KMS or from the dev secret), when the config declares one. */
declare module 'fle:edge-secret' {
  const ring: import('../edge/secret-ring').EdgeSecretRing | undefined;
  export default ring;
}
