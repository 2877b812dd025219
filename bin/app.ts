import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SchedulerStack } from '../lib/scheduler-stack.js';

const app = new App();
new SchedulerStack(app, app.node.tryGetContext('stackName') ?? 'Scheduler');
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
