/** The git sources: whole histories and ranges, the staged change, what a push sends. */
export { gitSource, openRepos, type GitOptions } from './history.js';
export { parsePushLines, pushRevisions } from './prepush.js';
