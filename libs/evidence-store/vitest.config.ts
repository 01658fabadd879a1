import { defineProject } from 'vitest/config';
import { takt } from '../../vitest.shared.js';

export default defineProject(takt('evidence-store'));
