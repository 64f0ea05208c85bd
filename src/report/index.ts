/** Formats: pure functions from the report model to text. */
import { renderGithub } from './github.js';
import { renderJson } from './json.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './model.js';
import { renderSarif } from './sarif.js';
import { renderText, type TextOptions } from './text.js';

export const FORMATS = ['text', 'json', 'sarif', 'github', 'junit', 'markdown', 'html'] as const;
export type Format = (typeof FORMATS)[number];

/** The text format's options (colour, width, --explain, a hook's message); the other formats take none. */
export type RenderOptions = Partial<TextOptions>;

export function render(report: Report, format: Format, opts: RenderOptions = {}): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'text':
      return renderText(report, { ...opts, color: opts.color ?? false });
    case 'sarif':
      return renderSarif(report);
    case 'github':
      return renderGithub(report);
    case 'junit':
      return renderJunit(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
  }
}

export type { Advisory, Finding, Report, RuleSummary, SecretExposure, SecretInfo, Stats } from './model.js';
