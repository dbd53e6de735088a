/** Synthesizing the stack for infra tests: cdk.json's context without bundling, cdk-nag findings. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { expect } from 'vitest';
import { createTollgateApp, type TollgateApp } from '../../infra/tollgate-app.js';

const CDK_JSON = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};
/** The context `cdk synth` sees, without bundling (the stack test bundles the handlers). */
export const BASE_CONTEXT = {
  ...Object.fromEntries(
    Object.entries(CDK_JSON.context).filter(([key]) => !cxapi.CURRENT_VERSION_EXPIRED_FLAGS.includes(key)),
  ),
  'aws:cdk:bundling-stacks': [],
};

export type Statement = Record<string, unknown>;

export interface Synthesized extends TollgateApp {
  readonly template: Template;
}

const outdirs: string[] = [];

/** Removes the output directories of `synthesize`; call it from `afterAll`. */
export function removeOutdirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The stack with `context` over cdk.json's; synthesis runs cdk-nag and throws on an unacknowledged finding. */
export function synthesize(context: Record<string, unknown>, label = 'infra'): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), `tollgate-${label}-`));
  outdirs.push(outdir);
  const built = createTollgateApp({ outdir, context: { ...BASE_CONTEXT, ...context } });
  return { ...built, template: Template.fromStack(built.stack) };
}

/** cdk-nag AwsSolutions findings not acknowledged, as `rule at path`. */
export function nagFindings(app: App): string[] {
  return new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );
}

/** The one resource of `type` at construct path `path` (`InvoicingJobs`, not `InvoicingJobsDlq`). */
export function idOf(template: Template, type: string, path: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) =>
    new RegExp(`^${path}[0-9A-F]{8}$`).test(id),
  );
  expect(ids, `exactly one ${type} at ${path}`).toHaveLength(1);
  return ids[0]!;
}

export function resourceOf(template: Template, type: string, path: string) {
  return template.findResources(type)[idOf(template, type, path)]!;
}

export const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

/** The statements of the IAM policies whose logical id starts with `rolePrefix`. */
export function statementsOf(template: Template, rolePrefix: string): Statement[] {
  return Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(rolePrefix))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
}
