import {
  type Persona,
  PersonaRefusedError,
  type RegistryOperation,
  UnknownCallerError,
  authorise,
  callerFromArn,
  parseAssumedRoleArn,
  personaFromArn,
} from '../../../lambdas/core/governance/personas';

const ROLES = { dataScientist: 'LuminaOps-PersonasDataScientistA1B2', mlEngineer: 'LuminaOps-PersonasMlEngineerC3D4', modelApprover: 'LuminaOps-PersonasModelApproverE5F6' };
const sessionOf = (role: string, account = '123456789012') => `arn:aws:sts::${account}:assumed-role/${role}/alice@example.org`;

describe('persona permission table', () => {
  // Every persona × operation, as the issue states them.
  const expected: Record<Persona, Record<RegistryOperation, boolean>> = {
    'data-scientist': {
      'audit.read': true,
      'model.stage.staging': false,
      'model.stage.archived': false,
      'model.stage.production': false,
      'model.rollback': false,
      'model-card.approve': false,
      'policy.exception': false,
      'dataset.approve': false,
      'ab.change': false,
    },
    'ml-engineer': {
      'audit.read': true,
      'model.stage.staging': true,
      'model.stage.archived': true,
      'model.stage.production': false,
      'model.rollback': true,
      'model-card.approve': false,
      'policy.exception': false,
      'dataset.approve': false,
      'ab.change': true,
    },
    'model-approver': {
      'audit.read': true,
      'model.stage.staging': false,
      'model.stage.archived': false,
      'model.stage.production': true,
      'model.rollback': true,
      'model-card.approve': true,
      'policy.exception': true,
      'dataset.approve': true,
      'ab.change': true,
    },
  };
  const cases = Object.entries(expected).flatMap(([persona, operations]) => Object.entries(operations).map(([operation, allowed]) => [persona as Persona, operation as RegistryOperation, allowed] as const));

  it.each(cases)('%s → %s: allowed %s', (persona, operation, allowed) => {
    const caller = { principal: `arn:aws:sts::123456789012:assumed-role/x/${persona}`, persona, source: '10.0.0.1' };

    const act = () => authorise(caller, operation);

    if (allowed) expect(act).not.toThrow();
    else expect(act).toThrow(PersonaRefusedError);
  });

  it('a refusal names the operation, the persona and who may do it', () => {
    const caller = { principal: 'arn:aws:sts::123456789012:assumed-role/ds/alice', persona: 'data-scientist' as const, source: '10.0.0.1' };

    let refusal: unknown;
    try {
      authorise(caller, 'model.stage.production');
    } catch (error) {
      refusal = error;
    }

    expect(refusal).toBeInstanceOf(PersonaRefusedError);
    expect(refusal).toMatchObject({ operation: 'model.stage.production', persona: 'data-scientist' });
    expect((refusal as Error).message).toBe('data-scientist may not promote a model version to production (model.stage.production); allowed for: model-approver');
  });
});

describe('personaFromArn', () => {
  it('maps a session of each persona role to its persona', () => {
    expect(personaFromArn(sessionOf(ROLES.dataScientist), ROLES)).toBe('data-scientist');
    expect(personaFromArn(sessionOf(ROLES.mlEngineer), ROLES)).toBe('ml-engineer');
    expect(personaFromArn(sessionOf(ROLES.modelApprover), ROLES, '123456789012')).toBe('model-approver');
  });

  it('refuses other roles, IAM users, root, other accounts and malformed ARNs', () => {
    expect(() => personaFromArn(sessionOf('cdk-hnb659fds-deploy-role-123456789012-us-east-1'), ROLES)).toThrow('role cdk-hnb659fds-deploy-role-123456789012-us-east-1 is none of the persona roles');
    expect(() => personaFromArn('arn:aws:iam::123456789012:user/mallory', ROLES)).toThrow(UnknownCallerError);
    expect(() => personaFromArn('arn:aws:iam::123456789012:root', ROLES)).toThrow(UnknownCallerError);
    expect(() => personaFromArn(sessionOf(ROLES.modelApprover, '999999999999'), ROLES, '123456789012')).toThrow('the persona roles live in account 123456789012, not 999999999999');
    expect(() => personaFromArn('not an arn', ROLES)).toThrow('only sessions of the persona roles (assumed-role ARNs) may use the registry API');
    // A role whose name is a persona name with a prefix is still another role.
    expect(() => personaFromArn(sessionOf(`x${ROLES.modelApprover}`), ROLES)).toThrow(UnknownCallerError);
    // Object prototype keys are not role names.
    expect(() => personaFromArn(sessionOf('constructor'), ROLES)).toThrow(UnknownCallerError);
  });

  it('parses the parts of an assumed-role ARN, in every partition', () => {
    expect(parseAssumedRoleArn('arn:aws-us-gov:sts::123456789012:assumed-role/Approver/bob')).toEqual({ partition: 'aws-us-gov', account: '123456789012', roleName: 'Approver', session: 'bob' });
    expect(parseAssumedRoleArn('arn:aws:iam::123456789012:role/Approver')).toBeUndefined();
  });

  it('callerFromArn keeps the ARN and the source for the audit trail', () => {
    expect(callerFromArn(sessionOf(ROLES.mlEngineer), '198.51.100.7', ROLES)).toEqual({ principal: sessionOf(ROLES.mlEngineer), persona: 'ml-engineer', source: '198.51.100.7' });
  });
});
