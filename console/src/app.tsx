import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { useEffect, useRef, useState } from 'preact/hooks';
import { forgetCachedAgencies } from './events';
import type { Session } from './session';
import { ActivityView } from './views/activity';
import { EventsView } from './views/events';
import { HistoryView } from './views/history';
import { ReviewsView } from './views/reviews';
import { SignIn } from './views/signin';
import { StatsView } from './views/stats';
import { VerifyView } from './views/verify';

export const BASE = '/console';

interface View {
  path: string;
  title: string;
  auditor: boolean;
  component: (props: { session: Session }) => preact.JSX.Element;
}

/** Auditor views need the AUDITOR role (the service refuses others anyway); statistics are for everyone. */
const VIEWS: View[] = [
  { path: '/events', title: 'Audit events', auditor: true, component: EventsView },
  { path: '/history', title: 'Access history', auditor: true, component: HistoryView },
  { path: '/reviews', title: 'Anomalies and break-glass', auditor: true, component: ReviewsView },
  { path: '/verify', title: 'Trail verification', auditor: true, component: VerifyView },
  { path: '/activity', title: 'Accesses per day', auditor: true, component: ActivityView },
  { path: '/statistics', title: 'Statistics', auditor: false, component: StatsView },
];

function Shell({ session }: { session: Session }) {
  const { path } = useLocation();
  const views = VIEWS.filter((v) => !v.auditor || session.isAuditor);
  const home = views[0];
  const current = views.find((v) => `${BASE}${v.path}` === path) ?? home;
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    document.title = `${current.title} — Safeshare console`;
    main.current?.focus();
  }, [current]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <p class="brand">Safeshare console</p>
        <p class="who">
          {session.me.displayName} · {session.me.agency.name} · {session.me.roles.join(', ')}
        </p>
        <button type="button" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </header>
      <nav aria-label="Console views">
        <ul>
          {views.map((v) => (
            <li key={v.path}>
              <a href={`${BASE}${v.path}`} aria-current={v === current ? 'page' : undefined}>
                {v.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        <Router>
          {[
            ...views.map((v) => <Route key={v.path} path={`${BASE}${v.path}`} component={() => <v.component session={session} />} />),
            <Route key="default" default component={() => <home.component session={session} />} />,
          ]}
        </Router>
      </main>
    </>
  );
}

export function App() {
  const [session, setSession] = useState<Session>();
  const [notice, setNotice] = useState<string>();
  const end = (reason?: string) => {
    forgetCachedAgencies();
    setSession(undefined);
    setNotice(reason ?? 'You have signed out.');
  };
  return (
    <LocationProvider scope={BASE}>
      {session ? <Shell session={session} /> : <SignIn onSignedIn={setSession} onEnd={end} notice={notice} />}
    </LocationProvider>
  );
}
