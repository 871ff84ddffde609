import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApi } from './api/client';
import { ApiProvider } from './api/context';
import { App } from './app';
import { AnnouncerProvider } from './components/Announcer';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <ApiProvider api={createApi()}>
      <AnnouncerProvider>
        <App />
      </AnnouncerProvider>
    </ApiProvider>
  </StrictMode>,
);
