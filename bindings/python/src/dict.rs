//! `to_dict()` for result objects: every attribute, nested results and lists of them as dicts
//! too, so that a web app can return a result as JSON (`json.dumps(result.to_dict())`).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// The attributes of a result object (its class's getters), as a dict.
pub(crate) fn to_dict<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = obj.py();
    let getter = py.import("types")?.getattr("GetSetDescriptorType")?;
    let out = PyDict::new(py);
    let attrs = obj.get_type().getattr("__dict__")?.call_method0("items")?;
    for item in attrs.try_iter()? {
        let (name, attr): (String, Bound<'py, PyAny>) = item?.extract()?;
        if !name.starts_with('_') && attr.is_instance(&getter)? {
            out.set_item(&name, plain(&obj.getattr(name.as_str())?)?)?;
        }
    }
    Ok(out)
}

fn plain<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if value.hasattr("to_dict")? {
        return value.call_method0("to_dict");
    }
    if let Ok(list) = value.cast::<PyList>() {
        let items = list
            .iter()
            .map(|v| plain(&v))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(PyList::new(value.py(), items)?.into_any());
    }
    Ok(value.clone())
}
