import { piiKindsForColumnName, piiKindsInValue } from '../../../lambdas/core/datasets/pii-scan';

describe('piiKindsForColumnName', () => {
  it.each([
    ['email', 'email'],
    ['Email_Address', 'email'],
    ['e-mail', 'email'],
    ['mobilePhone', 'phone_number'],
    ['SSN', 'national_id'],
    ['social_security_number', 'national_id'],
    ['dob', 'date_of_birth'],
    ['birth_date', 'date_of_birth'],
    ['dateOfBirth', 'date_of_birth'],
    ['first_name', 'person_name'],
    ['LastName', 'person_name'],
    ['patient_name', 'person_name'],
    ['street_address', 'street_address'],
    ['home_address', 'street_address'],
  ])('reads %s as %s', (column, kind) => {
    // Act
    const kinds = piiKindsForColumnName(column).map((k) => k.kind);

    // Assess
    expect(kinds).toContain(kind);
  });

  it.each(['product_name', 'home_mail_count', 'visit_date', 'ip_address', 'age', 'birth_weight'])('finds nothing in %s', (column) => {
    // Assess
    expect(piiKindsForColumnName(column)).toEqual([]);
  });

  it('gives a bare "name" column a low confidence', () => {
    // Assess
    expect(piiKindsForColumnName('name')).toEqual([{ kind: 'person_name', confidence: 0.4 }]);
  });
});

describe('piiKindsInValue', () => {
  it.each([
    ['jane.doe+tag@mail.example.co.uk', ['email']],
    ['123-45-6789', ['national_id']],
    ['(415) 555-0123', ['phone_number']],
    ['+1 415.555.0123', ['phone_number']],
    ['+441632960961', ['phone_number']],
    ['221 Baker Street', ['street_address']],
    ['1600 Pennsylvania Ave NW', ['street_address']],
    ['reach me at jo@example.com or 415-555-0123', ['email', 'phone_number']],
  ])('finds PII in %j', (value, kinds) => {
    // Assess
    expect(piiKindsInValue(value)).toEqual(kinds);
  });

  it.each(['2024-01-02', '000-12-3456', '666-12-3456', '123-45-67890', '12.5 mg', 'Widget 3000', '3 apples', '1234567890123456'])(
    'finds nothing in %j',
    (value) => {
      // Assess
      expect(piiKindsInValue(value)).toEqual([]);
    },
  );
});
