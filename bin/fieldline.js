#!/usr/bin/env node
// The published entry: runs the compiled CLI (npm install builds it through the prepare script).
import '../dist/main.js';
