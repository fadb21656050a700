import { processIo, runCli } from './main';

// The CLI's stderr is a contract (one JSON line on failure). The AWS SDK's notice that it will need
// Node 22 from 2027 would break it on Node 20, which the CLI supports for local use; the deployed
// Lambdas run on nodejs24.x, where the notice never fires.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await runCli(process.argv.slice(2), processIo);
