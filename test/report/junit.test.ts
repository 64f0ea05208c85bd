/** JUnit XML, as GitLab and Jenkins read it. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { render, scanGit } from '../../src/index.js';
import { makeRepo } from '../helpers/git.js';
import { fakeKey } from '../helpers/keys.js';
import { runCli, tempDir } from '../helpers/run.js';
import { leakyHistory } from '../helpers/histories.js';

describe('JUnit', () => {
  it('has one suite per target and one failing case per finding, as well-formed XML', async () => {
    const a = leakyHistory();
    const b = makeRepo();
    b.commit('k', { 'k.env': `K=${fakeKey('live')}\n` });
    const report = await scanGit([a.repo.dir, b.dir]);
    const xml = render(report, 'junit');
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<failure /g)).toHaveLength(report.findings.length);
    const file = join(tempDir(), 'r.xml');
    writeFileSync(file, xml);
    // xmllint-free well-formedness check: python's parser, which Debian always has.
    const parsed = spawnSync('python3', ['-c', 'import sys,xml.dom.minidom as m; d=m.parse(sys.argv[1]); print(len(d.getElementsByTagName("testcase")))', file], { encoding: 'utf8' });
    expect(parsed.stdout.trim()).toBe(String(report.findings.length));
  });

  it('reports a clean scan as one passing case', () => {
    const xml = runCli(['stdin', '--format', 'junit'], { input: 'nothing here' }).stdout;
    expect(xml).toMatch(/<testsuite name="sk-scan stdin -" tests="1" failures="0"/);
    expect(xml).toMatch(/<testcase [^>]*name="no secrets found"/);
  });
});
