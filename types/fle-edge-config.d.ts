/** The config baked into the edge bundle at build time (Lambda@Edge has no environment variables). */
declare module 'fle:edge-config' {
  const config: import('../core/config').EdgeConfig;
  export default config;
}
