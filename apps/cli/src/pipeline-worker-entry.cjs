// The pipeline worker's entry. Worker threads do not inherit the main thread's TypeScript loader on
// Node 20, so one is registered here: tsx's in-thread require hook, not its ESM loader, which would
// start one more V8 isolate for its hooks (about 25 MB of RSS for nothing).
require('tsx/cjs/api').register();
require('./pipeline-worker.ts');
