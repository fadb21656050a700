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
