import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { callerIdentity } from '../../../local/aws/aws-clients';

describe('callerIdentity', () => {
  const sts = mockClient(STSClient);
  afterEach(() => sts.reset());
  const client = () => new STSClient({ region: 'eu-west-1' });

  it('returns the ARN and account of the credentials', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::123456789012:assumed-role/LuminaOps-MlEngineer/alice', Account: '123456789012' });
    await expect(callerIdentity(client())).resolves.toEqual({ arn: 'arn:aws:sts::123456789012:assumed-role/LuminaOps-MlEngineer/alice', account: '123456789012' });
  });

  it('says the network, not the credentials, when AWS cannot be reached', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('getaddrinfo ENOTFOUND sts.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' }));
    await expect(callerIdentity(client())).rejects.toThrow('cannot reach AWS STS (ENOTFOUND: getaddrinfo ENOTFOUND sts.eu-west-1.amazonaws.com): check the network, a proxy (HTTPS_PROXY) or the region');
  });

  it('says how to configure credentials when there are none', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    await expect(callerIdentity(client())).rejects.toThrow(
      "cannot call AWS with the credentials found (CredentialsProviderError: Could not load credentials from any providers); configure them with AWS_PROFILE, 'aws sso login' or the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables",
    );
  });
});
