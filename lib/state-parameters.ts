/**
 * Where the guard publishes each organization's state for pipelines: SSM parameters `<prefix><orgId>` under a
 * prefix of this stack's own (`/<stack name>/state/`), which the guard function may write, and a managed
 * policy a pipeline's role can attach to read them (and nothing else).
 */
import { Arn, ArnFormat, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { type IRole, ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface StateParametersProps {
  /** The guard function's role, which writes the parameters. */
  readonly writer: IRole;
  /** The configured organization ids, for the outputs. */
  readonly orgIds: readonly string[];
}

export class StateParameters extends Construct {
  /** `/<stack name>/state/`: every organization's parameter is this plus its id. */
  readonly prefix: string;
  /** The policy a pipeline's role attaches to run `budget-guard gate --from-parameter`. */
  readonly readPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: StateParametersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.prefix = `/${stack.stackName}/state/`;
    // `parameter/<prefix>*`: the ARN's resource name drops the prefix's leading slash.
    const parametersArn = Arn.format(
      {
        service: 'ssm',
        resource: 'parameter',
        resourceName: `${this.prefix.slice(1)}*`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      },
      stack,
    );

    // In the role's own policy (a role may have only 10 managed policies, and large fleets need them for the
    // secrets). The acknowledgement below names this exact resource, so it covers nothing else.
    props.writer.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['ssm:PutParameter'], resources: [parametersArn] }),
    );

    this.readPolicy = new ManagedPolicy(this, 'ReadPolicy', {
      description: `Runway Budget Guard (${stack.stackName}): read the organizations' budget states (budget-guard gate --from-parameter)`,
      statements: [new PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parametersArn] })],
    });
    const reason =
      "One parameter per configured organization under this stack's own prefix (parameter/<stack>/state/*): the organizations change with the config, and listing every ARN would outgrow IAM's policy size limit for large fleets.";
    for (const scope of [props.writer, this.readPolicy]) {
      Validations.of(scope).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/${this.prefix.slice(1)}*]`,
        reason,
      });
    }

    new CfnOutput(stack, 'StateParameterPrefix', {
      description:
        "SSM parameters with each organization's budget state: <prefix><org id>, e.g. " +
        `${this.prefix}${props.orgIds[0] ?? '<org>'} (budget-guard gate --from-parameter reads them with STATE_PARAMETER_PREFIX set to this)`,
      value: this.prefix,
    });
    new CfnOutput(stack, 'StateReadPolicyArn', {
      description:
        'Managed policy a pipeline role attaches to read the budget states (ssm:GetParameter only)',
      value: this.readPolicy.managedPolicyArn,
    });
  }
}
