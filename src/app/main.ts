import { mount } from 'svelte';
import App from './App.svelte';
import { registerServiceWorker } from './lib/service-worker.ts';
import './app.css';

mount(App, { target: document.getElementById('app')! });
registerServiceWorker();
