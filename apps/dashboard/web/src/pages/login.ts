import { api, ApiError, type Me } from '../api.js';
import { $ } from '../dom.js';

/** The sign-in card. */
export function renderLogin(app: HTMLElement, done: (me: Me) => void): void {
  app.innerHTML = `
    <form class="login" id="login-form" autocomplete="on">
      <h1><img src="/assets/favicon.svg" alt="" width="28" height="28"> Takt</h1>
      <div class="muted">Sign in to the plant dashboard</div>
      <label for="username">Username</label><input id="username" name="username" autocomplete="username" required autofocus>
      <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
      <button class="primary" type="submit">Sign in</button>
      <div class="error" id="login-error" role="alert"></div>
    </form>`;
  const form = $('#login-form', app) as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const username = ($('#username', form) as HTMLInputElement).value;
    const password = ($('#password', form) as HTMLInputElement).value;
    $('#login-error', form).textContent = '';
    api
      .post<Me>('/api/login', { username, password })
      .then(done)
      .catch((err: unknown) => {
        $('#login-error', form).textContent = err instanceof ApiError ? err.message : 'sign-in failed';
      });
  });
}
