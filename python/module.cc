// The Python extension module `quiver` (docs/python.md): bindings of the public C++ API
// (include/quiver/) and nothing else. Every call that runs a model, loads a file or trains
// releases the GIL; every non-OK Status becomes a quiver.Error subclass.
#include "bindings.h"
#include "errors.h"
#include "quiver/version.h"

PYBIND11_MODULE(quiver, m) {
  m.doc() = "quiver: load, train and run Keras text classifiers without TensorFlow";
  m.attr("__version__") = QUIVER_VERSION;
  quiver::python::bind_errors(m);
  quiver::python::bind_model(m);
  quiver::python::bind_text(m);
  quiver::python::bind_train(m);
  quiver::python::bind_classifier(m);
}
