/** The git sources: whole histories and ranges, the staged change, what a push sends. */
export { gitSource, type GitOptions } from './history.js';
export { UnknownRevision } from './range.js';
export { isUrl, openRepo, openRepos } from './repo.js';
export { openSubmodules } from './submodules.js';
export { pushRevisions, pushTarget, type PrePushHook } from './prepush.js';
export { parseReceiveLines, pushedRefs, receivedRevisions, type ReceivedRef } from './prereceive.js';
export { cacheKey } from './cache.js';
