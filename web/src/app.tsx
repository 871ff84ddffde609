// The routes. The API answers every one of these paths with index.html
// (src/http/web-app.ts), so a reload or a shared link lands here.
import { Route, Switch } from 'wouter';
import { Layout } from './components/Layout';
import { RequireSession } from './components/RequireSession';
import { CartPage } from './pages/CartPage';
import { CataloguePage } from './pages/CataloguePage';
import { MyOrdersPage } from './pages/MyOrdersPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OrderPage } from './pages/OrderPage';
import { SignInPage } from './pages/SignInPage';
import { StaffBoardPage } from './pages/StaffBoardPage';

export function App() {
  return (
    <Layout>
      <Switch>
        <Route path="/">
          <CataloguePage />
        </Route>
        <Route path="/cart">
          <CartPage />
        </Route>
        <Route path="/signin">
          <SignInPage mode="signin" />
        </Route>
        <Route path="/register">
          <SignInPage mode="register" />
        </Route>
        <Route path="/orders">
          <RequireSession>
            <MyOrdersPage />
          </RequireSession>
        </Route>
        <Route path="/orders/:id">
          {(params) => (
            <RequireSession>
              <OrderPage key={params.id} id={params.id} />
            </RequireSession>
          )}
        </Route>
        <Route path="/staff">
          <RequireSession staff>
            <StaffBoardPage />
          </RequireSession>
        </Route>
        <Route>
          <NotFoundPage />
        </Route>
      </Switch>
    </Layout>
  );
}
