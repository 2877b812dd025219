import { describe, expect, it } from 'vitest';
import { nagFindings } from '../../lib/synth-report.js';
import { logicalId, resources, type Synthesized, synth } from './support.js';

/** Every IAM policy statement of the stack that allows `action`, with the role it is attached to. */
function statementsAllowing(s: Synthesized, action: string) {
  const found: { roles: unknown; resource: unknown }[] = [];
  for (const policy of Object.values(resources(s.template, 'AWS::IAM::Policy'))) {
    const doc = policy.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] };
    for (const statement of doc.Statement) {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      if (actions.includes(action))
        found.push({ roles: policy.Properties.Roles, resource: statement.Resource });
    }
  }
  return found;
}

function executorRoleRef(s: Synthesized) {
  return s.stack.resolve(
    (s.stack.executors.handler.role!.node.defaultChild as unknown as { ref: string }).ref,
  );
}

describe('target roles', () => {
  it('lets only the executor assume roles, and only those of the default pattern in the stack’s partition', () => {
    // Act
    const s = synth();

    // Assess
    expect(statementsAllowing(s, 'sts:AssumeRole')).toEqual([
      {
        roles: [executorRoleRef(s)],
        resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/scheduler-target-*']],
        },
      },
    ]);
    expect(nagFindings(s.app)).toEqual([]);
  });

  it('takes the pattern from context, and gives the API the same pattern to check jobs against', () => {
    // Act
    const pattern = 'arn:aws:iam::111122223333:role/jobs-*';
    const s = synth({ targetRolePattern: pattern });

    // Assess
    expect(statementsAllowing(s, 'sts:AssumeRole')).toEqual([
      { roles: [executorRoleRef(s)], resource: pattern },
    ]);
    const functions = resources(s.template, 'AWS::Lambda::Function');
    const api = functions[logicalId(s.stack, s.stack.api.handler)]!.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(api.Environment.Variables.SCHEDULER_TARGET_ROLE_PATTERN).toBe(pattern);
    expect(nagFindings(s.app)).toEqual([]);
  });

  it('refuses a context pattern that is not a role ARN pattern', () => {
    expect(() => synth({ targetRolePattern: '*' })).toThrow(/context targetRolePattern: .*must look like/);
  });
});
