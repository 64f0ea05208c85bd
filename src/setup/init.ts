/** `sk-scan init`: a commented `.sk-scan.yaml`, and the set-up for hooks and CI. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SkScanError } from '../errors.js';
import { VERSION } from '../version.js';

export const CONFIG_TEMPLATE = `# sk-scan configuration. Every field is optional; delete what you do not need.
# Docs: the README of the sk-scan package.

# Paths never read (globs relative to this folder). Prefer narrow globs:
# a real key in an excluded path is never found.
exclude: []
#  - "vendor/**"
#  - "**/*.min.js"

# Files larger than this are skipped and counted (bytes, or 500KB, 10MiB).
maxFileSize: 100MiB

# Built-in rules to turn off: chatbot-live-key, chatbot-test-key, chatbot-webhook-secret.
disable: []

# Individual findings you accept, by the fingerprint printed with each one.
# (For many at once, use a baseline: sk-scan dir . --update-baseline.)
ignore: []

# Your own rules, in the same form as the built-in ones.
rules: []
#  - id: internal-service-token
#    description: Our internal service token
#    severity: high
#    keywords: [tok_]
#    pattern: 'tok_(?<secret>[A-Za-z0-9]{24})'
#    minEntropy: 3
#    examples:
#      match: ["tok_Zq8Lm3Vx7Rp2Wn5Ks9Dt4Hy6"]
#      noMatch: ["tok_short"]
`;

export function setupGuide(): string {
  return `Set-up:

  Git hook (this repository):     npx sk-scan install-hook
                                  npx sk-scan install-hook --pre-push
  husky v9:                       npx sk-scan install-hook --husky
  pre-commit (.pre-commit-config.yaml):
    repos:
      - repo: <URL of the sk-scan repository>
        rev: v${VERSION}
        hooks:
          - id: sk-scan          # pre-commit: the staged content of changed files
          - id: sk-scan-push     # pre-push: the lines the push adds
    then: pre-commit install && pre-commit install --hook-type pre-push
    (skip once: SKIP=sk-scan git commit, SKIP=sk-scan-push git push)

  GitHub Actions (.github/workflows/secrets.yml), with code scanning alerts:
    name: secrets
    on: [push, pull_request]
    permissions: { contents: read, security-events: write }
    jobs:
      sk-scan:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
            with: { fetch-depth: 0 }      # the whole history
          - uses: actions/setup-node@v4
            with: { node-version: 20 }
          - run: npx --yes sk-scan git . --format sarif --output sk-scan.sarif
          - uses: github/codeql-action/upload-sarif@v3
            if: always()
            with: { sarif_file: sk-scan.sarif, category: sk-scan }
    For pull requests only what they add: sk-scan git . --range origin/\${{ github.base_ref }}..HEAD

  GitLab CI (.gitlab-ci.yml):
    sk-scan:
      image: node:20
      variables: { GIT_DEPTH: 0 }
      script:
        - npx --yes sk-scan git . --format junit --output sk-scan.xml
      artifacts:
        when: always
        reports: { junit: sk-scan.xml }

  Accept what is already there, block every new key:
                                  npx sk-scan git . --update-baseline
`;
}

/** Write `.sk-scan.yaml` in `dir` unless one is there. */
export function writeConfigTemplate(dir: string): string {
  const file = join(dir, '.sk-scan.yaml');
  if (existsSync(file)) throw new SkScanError(`${file} already exists; not overwriting it`);
  writeFileSync(file, CONFIG_TEMPLATE);
  return file;
}
