// Query: w, h = the viewer's size in CSS px (default: the window); options = JSON OpenSeadragon options
// merged over the defaults. The page exposes what the bench drives Tessera's page through: the viewer at
// window.__tessera.viewer and data-fully-loaded on [data-testid="viewer"] (all tiles the view needs
// loaded, no animation), plus window.__anchorOpen(dziUrl).
/* global OpenSeadragon */
(() => {
  const query = new URLSearchParams(location.search);
  const element = document.getElementById('viewer');
  if (query.get('w')) element.style.width = `${Number(query.get('w'))}px`;
  if (query.get('h')) element.style.height = `${Number(query.get('h'))}px`;
  const options = JSON.parse(query.get('options') || '{}');
  // No navigation buttons: they only fetch button images from prefixUrl.
  // The 2D canvas drawer, as Tessera uses: headless Chromium has no GPU here, and OpenSeadragon's default
  // WebGL drawer in software is ~10× slower, which would measure the drawer rather than the tile pipeline.
  const viewer = OpenSeadragon({ element, showNavigationControl: false, drawer: 'canvas', ...options });
  let fullyLoaded = false;
  let animating = false;
  const flag = () => element.setAttribute('data-fully-loaded', String(fullyLoaded && !animating));
  viewer.addHandler('animation-start', () => {
    animating = true;
    flag();
  });
  viewer.addHandler('animation-finish', () => {
    animating = false;
    flag();
  });
  viewer.addHandler('open', () => {
    const item = viewer.world.getItemAt(0);
    item.addHandler('fully-loaded-change', (e) => {
      fullyLoaded = e.fullyLoaded;
      flag();
    });
    fullyLoaded = item.getFullyLoaded();
    flag();
  });
  window.__tessera = { viewer };
  window.__anchorOpen = (url) => viewer.open(url);
})();
