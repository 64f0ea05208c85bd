/** Formats: pure functions from the report model to text. */
import { renderGithub } from './github.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import type { Report } from './model.js';
import { renderSarif } from './sarif.js';
import { renderText } from './text.js';

export const FORMATS = ['text', 'json', 'sarif', 'github', 'junit'] as const;
export type Format = (typeof FORMATS)[number];

export function render(report: Report, format: Format, opts: { color?: boolean } = {}): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'text':
      return renderText(report, { color: opts.color ?? false });
    case 'sarif':
      return renderSarif(report);
    case 'github':
      return renderGithub(report);
    case 'junit':
      return renderJunit(report);
  }
}

export type { Advisory, Finding, Report, RuleSummary, SecretExposure, SecretInfo, Stats } from './model.js';
