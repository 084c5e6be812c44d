#!/usr/bin/env node
// CDK app entry: `cdk synth`, `cdk deploy` (add `-c project=NAME` for a directly deployed project).
import { buildApp } from '../lib/app';

buildApp().app.synth();
