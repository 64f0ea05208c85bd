/** Reports' fixtures: a history full of findings, and every format of one report at once. */
import { render, type Report } from '../../src/index.js';
import { makeRepo } from './git.js';
import { fakeHex, fakeKey } from './keys.js';

/** A history full of findings: live, test and webhook keys, one removed, one in a commit message, one on a branch. */
export function leakyHistory() {
  const repo = makeRepo();
  const keys = { live: fakeKey('live', 'prod'), test: fakeKey('test'), hook: fakeHex(40), message: fakeKey('live'), removed: fakeKey('live') };
  repo.commit('init', { 'README.md': 'demo\n' });
  repo.commit('config', { 'config/prod/app.env': `CHATBOT_API_KEY=${keys.live}\n`, 'config/dev/app.env': `CHATBOT_API_KEY=${keys.live}\n` });
  repo.commit('webhook', { 'src/hook.py': `WEBHOOK_SECRET = "${keys.hook}"\n`, 'tests/fixture,with:odd%name.env': `K=${keys.test}\n` });
  repo.commit(`debug with ${keys.message}`, { 'a.txt': 'a\n' });
  repo.commit('remove prod key', { 'config/prod/app.env': 'CHATBOT_API_KEY=\n', 'old.env': `K=${keys.removed}\n` });
  repo.remove('old.env');
  repo.commit('remove old.env');
  return { repo, keys };
}

export function allOutputs(report: Report): string {
  return ['text', 'json', 'sarif', 'github', 'junit'].map((f) => render(report, f as 'text')).join('\n');
}
