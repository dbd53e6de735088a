#!/usr/bin/env node
import { createTollgateApp } from './tollgate-app.js';

createTollgateApp().app.synth();
