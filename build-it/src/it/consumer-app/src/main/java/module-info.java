/** A user's application on the module path: it names only the API's module; the driver is found at run time. */
module app {
    requires dev.diaspora.stream;
}
