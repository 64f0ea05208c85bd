/** The picture per key: occurrences, places, first commit, HEAD, and the advisories across environments. */
import { describe, expect, it } from 'vitest';
import { render, scanDir, scanGit, scanStdin } from '../../src/index.js';
import { fakeKey } from '../helpers/keys.js';
import { tempDir, writeTree } from '../helpers/run.js';
import { leakyHistory } from '../helpers/histories.js';

describe('per-key exposure and advisories', () => {
  it('lists each unique key once, worst first, with occurrences, paths, first commit and whether it is at HEAD', async () => {
    const { repo, keys } = leakyHistory();
    const report = await scanGit([repo.dir]);
    const live = report.secrets.find((s) => s.redacted.endsWith(keys.live.slice(-4)));
    expect(live).toMatchObject({ ruleId: 'chatbot-live-key', kind: 'live', environment: 'prod', occurrences: 2, atHead: true });
    expect(live?.paths).toEqual(['config/dev/app.env', 'config/prod/app.env']);
    expect(live?.firstSeen?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(new Set(report.secrets.map((s) => s.sha256)).size).toBe(report.secrets.length);
    expect(report.secrets[0]?.severity).toBe('critical');
    expect(report.secrets.at(-1)?.kind).toBe('test');
  });

  it('warns when one key serves several environments, and when a tagged key sits in another environment', async () => {
    const key = fakeKey('live', 'prod');
    const dir = writeTree(tempDir(), { '.env.production': `K=${key}\n`, 'config/dev/settings.env': `K=${key}\n`, 'values-staging.yaml': `key: ${fakeKey('live', 'prod')}\n` });
    const report = await scanDir([dir], { threads: 1 });
    const kinds = report.advisories.map((a) => `${a.kind} ${a.environments.join('/')}`).sort();
    expect(kinds).toEqual(['environment-mismatch production/development', 'environment-mismatch production/staging', 'shared-across-environments development/production']);
    const text = render(report, 'text').replace(/\s+/g, ' ');
    expect(text).toMatch(/Advisories: • sk_live_prod_…\w{4} is used in development and production files/);
    expect(text).toMatch(/is a production key, but it sits in staging files \(values-staging\.yaml\)/);
  });

  it('opens the text report with the picture, worst first', async () => {
    const live = fakeKey('live');
    const report = await scanStdin(Buffer.from(`A=${live}\nB=${live}\nC=${fakeKey('test')}\n`));
    const text = render(report, 'text');
    expect(text.split('\n')[0]).toMatch(/^sk-scan: 2 keys in 3 places {2}\(scanned 1 file, /);
    expect(text.indexOf('live key')).toBeLessThan(text.indexOf('test key'));
  });
});
