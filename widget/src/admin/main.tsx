/**
 * The admin panel's entry (bundled as `admin.js` with `admin.css`), loaded by the shell the server serves at
 * `/admin`; the panel signs in with the same HttpOnly session cookie as the hosted page.
 */
import { render } from 'preact';
import { App } from './App.js';
import './admin.css';

render(<App />, document.getElementById('app')!);
