//! The recording graph ([`Graph`]), recorded values ([`Var`]) and the backward engine.
//!
//! A graph is a tape: nodes are pushed in execution order, each holding the ids of its parents
//! and a closure that maps the gradient of its output to gradients of its inputs. Because a
//! node's parents always come before it, walking the tape backwards from the output is already
//! a topological order: no sort and no graph search are needed.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use youshi_tensor::{Element, Shape, Tensor};

use crate::error::{AutogradError, Result};
use crate::param::Param;

/// Gradients of an operation's inputs, one slot per input (`None`: no gradient flows there).
pub type InputGrads<T> = Vec<Option<Tensor<T>>>;

/// Maps the gradient of an operation's output to the gradients of its inputs.
pub type BackwardFn<T> = Box<dyn Fn(&Tensor<T>) -> Result<InputGrads<T>> + Send + Sync>;

/// Id of a value that is not recorded (it needs no gradient).
const UNTRACKED: u32 = u32::MAX;

enum NodeKind<T: Element> {
    /// The result of an operation.
    Op {
        parents: Vec<u32>,
        backward: Option<BackwardFn<T>>,
    },
    /// A tensor whose gradient is kept on the node ([`Graph::leaf`]).
    Leaf { grad: Option<Tensor<T>> },
    /// A parameter whose gradient accumulates into the [`Param`].
    Param(Param<T>),
}

struct Node<T: Element> {
    op: &'static str,
    shape: Vec<usize>,
    kind: NodeKind<T>,
}

struct Tape<T: Element> {
    nodes: Vec<Node<T>>,
    record: bool,
    freed: bool,
}

/// Nodes alive in all graphs of the process: a diagnostic for leak tests, never used to
/// decide anything.
static LIVE_NODES: AtomicUsize = AtomicUsize::new(0);

impl<T: Element> Drop for Tape<T> {
    fn drop(&mut self) {
        LIVE_NODES.fetch_sub(self.nodes.len(), Ordering::Relaxed);
    }
}

/// Number of graph nodes alive in the whole process (all graphs, all threads).
///
/// A diagnostic: a training loop whose steps drop their graphs keeps this flat.
pub fn live_nodes() -> usize {
    LIVE_NODES.load(Ordering::Relaxed)
}

/// A define-by-run computation graph, like PyTorch's autograd graph.
///
/// Values enter through [`constant`](Graph::constant) (no gradient), [`leaf`](Graph::leaf)
/// (gradient kept on the [`Var`]) or [`param`](Graph::param) (gradient accumulated into the
/// [`Param`]); every operation on [`Var`]s records a node. `Graph` is a cheap handle (clones
/// share the graph) and is `Send + Sync`; one graph is meant for one thread at a time, while
/// independent graphs (for example two models training in two threads) share nothing.
///
/// The graph's memory is freed when the last handle and the last [`Var`] on it are dropped,
/// and the saved state of its operations as soon as [`Var::backward`] finishes.
///
/// # Examples
/// ```
/// use youshi_autograd::Graph;
/// use youshi_tensor::Tensor;
/// let g = Graph::new();
/// let x = g.leaf(Tensor::<f64>::from_vec(vec![1.0, 2.0], [1, 2])?);
/// let w = g.constant(Tensor::from_vec(vec![3.0, 4.0], [2, 1])?);
/// let y = x.matmul(&w)?; // 1*3 + 2*4
/// y.backward()?;
/// assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 4.0]);
/// # Ok::<(), youshi_autograd::AutogradError>(())
/// ```
pub struct Graph<T: Element = f32> {
    tape: Arc<Mutex<Tape<T>>>,
}

impl<T: Element> Clone for Graph<T> {
    fn clone(&self) -> Self {
        Graph {
            tape: self.tape.clone(),
        }
    }
}

impl<T: Element> fmt::Debug for Graph<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.lock();
        write!(
            f,
            "Graph {{ nodes: {}, record: {}, freed: {} }}",
            t.nodes.len(),
            t.record,
            t.freed
        )
    }
}

impl<T: Element> Default for Graph<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Element> Graph<T> {
    /// A graph that records operations for differentiation.
    pub fn new() -> Self {
        Self::with_grad(true)
    }

    /// A graph that records nothing (like `torch.no_grad()`): operations compute values only,
    /// hold no saved state and cost nothing beyond the arithmetic.
    pub fn no_grad() -> Self {
        Self::with_grad(false)
    }

    /// A graph that records operations if `enabled`.
    pub fn with_grad(enabled: bool) -> Self {
        Graph {
            tape: Arc::new(Mutex::new(Tape {
                nodes: Vec::new(),
                record: enabled,
                freed: false,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Tape<T>> {
        // A panic while holding the lock leaves a consistent tape (nodes are pushed whole), so
        // a poisoned lock is still usable.
        self.tape.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether operations on this graph are recorded.
    pub fn is_recording(&self) -> bool {
        self.lock().record
    }

    /// Turns recording on or off for the operations that follow (values already recorded keep
    /// their nodes), like `torch.set_grad_enabled`.
    pub fn set_recording(&self, on: bool) {
        self.lock().record = on;
    }

    /// Number of recorded nodes alive in this graph.
    pub fn len(&self) -> usize {
        self.lock().nodes.len()
    }

    /// True if nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True if both handles refer to the same graph.
    pub fn ptr_eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.tape, &other.tape)
    }

    fn push(&self, op: &'static str, shape: &[usize], kind: NodeKind<T>) -> u32 {
        let mut t = self.lock();
        let id = t.nodes.len();
        // More than u32::MAX - 1 nodes in one step is far beyond any memory; treat it as a bug.
        assert!(id < UNTRACKED as usize, "graph holds too many nodes");
        t.nodes.push(Node {
            op,
            shape: shape.to_vec(),
            kind,
        });
        LIVE_NODES.fetch_add(1, Ordering::Relaxed);
        id as u32
    }

    /// Records `value` as an input that needs no gradient.
    pub fn constant(&self, value: Tensor<T>) -> Var<T> {
        Var {
            graph: self.clone(),
            id: UNTRACKED,
            value,
        }
    }

    /// Records `value` as a leaf whose gradient is kept: read it with [`Var::grad`].
    ///
    /// On a graph that does not record, this is the same as [`constant`](Graph::constant).
    pub fn leaf(&self, value: Tensor<T>) -> Var<T> {
        if !self.is_recording() {
            return self.constant(value);
        }
        let id = self.push("leaf", value.shape(), NodeKind::Leaf { grad: None });
        Var {
            graph: self.clone(),
            id,
            value,
        }
    }

    /// Records a parameter; backward adds its gradient into [`Param::grad`].
    ///
    /// A frozen parameter (`requires_grad` false), or any parameter on a graph that does not
    /// record, enters as a constant.
    pub fn param(&self, p: &Param<T>) -> Var<T> {
        let value = p.value();
        if !p.requires_grad() || !self.is_recording() {
            return self.constant(value);
        }
        let id = self.push("param", value.shape(), NodeKind::Param(p.clone()));
        Var {
            graph: self.clone(),
            id,
            value,
        }
    }
}

/// A value recorded on a [`Graph`]: a tensor plus its place in the graph.
///
/// Operations are methods (`x.matmul(&w)?.relu()?`); each checks its inputs, computes the
/// value with the tensor crate's kernels and, if any input needs a gradient, records how to
/// differentiate it. Cloning a `Var` is cheap and refers to the same node.
#[derive(Clone)]
pub struct Var<T: Element = f32> {
    graph: Graph<T>,
    id: u32,
    value: Tensor<T>,
}

impl<T: Element> fmt::Debug for Var<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = if self.id == UNTRACKED {
            "untracked".to_string()
        } else {
            self.id.to_string()
        };
        write!(f, "Var {{ node: {id}, value: {:?} }}", self.value)
    }
}

impl<T: Element> Var<T> {
    /// The value.
    pub fn value(&self) -> &Tensor<T> {
        &self.value
    }

    /// The value's shape.
    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }

    /// The graph this value is recorded on.
    pub fn graph(&self) -> &Graph<T> {
        &self.graph
    }

    /// True if gradients flow back through this value.
    pub fn requires_grad(&self) -> bool {
        self.id != UNTRACKED
    }

    /// The same value, cut off from the graph (no gradient flows through it).
    pub fn detach(&self) -> Var<T> {
        self.graph.constant(self.value.clone())
    }

    /// A constant on this value's graph (a convenience for operations that mix in tensors).
    pub fn constant(&self, value: Tensor<T>) -> Var<T> {
        self.graph.constant(value)
    }

    /// Records the result of an operation.
    ///
    /// `parents` are the operation's inputs in the order `backward` returns their gradients;
    /// `backward` receives the gradient of `value` and returns one slot per parent. Nothing is
    /// recorded (and `backward` is dropped unused) when no parent needs a gradient or the graph
    /// does not record, so inference pays only for the arithmetic.
    ///
    /// This is the extension point for new operations: compute the value with tensor kernels,
    /// capture what the derivative needs in the closure, and call `record`.
    ///
    /// # Errors
    /// [`AutogradError::GraphMismatch`] if the parents live on different graphs.
    pub fn record(
        op: &'static str,
        parents: &[&Var<T>],
        value: Tensor<T>,
        backward: impl Fn(&Tensor<T>) -> Result<InputGrads<T>> + Send + Sync + 'static,
    ) -> Result<Var<T>> {
        let Some(first) = parents.first() else {
            return Err(AutogradError::InvalidArgument {
                op,
                reason: "an operation needs at least one input".into(),
            });
        };
        let graph = first.graph.clone();
        if parents.iter().any(|p| !p.graph.ptr_eq(&graph)) {
            return Err(AutogradError::GraphMismatch { op });
        }
        let tracked = parents.iter().any(|p| p.id != UNTRACKED);
        if !tracked || !graph.is_recording() {
            return Ok(graph.constant(value));
        }
        let ids = parents.iter().map(|p| p.id).collect();
        let id = graph.push(
            op,
            value.shape(),
            NodeKind::Op {
                parents: ids,
                backward: Some(Box::new(backward)),
            },
        );
        Ok(Var { graph, id, value })
    }

    /// The gradient accumulated on a leaf made with [`Graph::leaf`], if any.
    ///
    /// Parameters keep theirs in [`Param::grad`]; intermediate values keep none (as in
    /// PyTorch without `retain_grad`).
    pub fn grad(&self) -> Option<Tensor<T>> {
        if self.id == UNTRACKED {
            return None;
        }
        let t = self.graph.lock();
        match &t.nodes.get(self.id as usize)?.kind {
            NodeKind::Leaf { grad } => grad.clone(),
            NodeKind::Param(p) => p.grad(),
            NodeKind::Op { .. } => None,
        }
    }

    /// Clears the gradient of a leaf.
    pub fn zero_grad(&self) {
        if self.id == UNTRACKED {
            return;
        }
        let mut t = self.graph.lock();
        if let Some(Node {
            kind: NodeKind::Leaf { grad },
            ..
        }) = t.nodes.get_mut(self.id as usize)
        {
            *grad = None;
        }
    }

    /// Differentiates this scalar (one-element) value with respect to every leaf and
    /// parameter it depends on, adding the gradients to theirs, then frees the graph's saved
    /// state.
    ///
    /// # Errors
    /// [`AutogradError::NonScalarBackward`] if the value has more than one element (use
    /// [`backward_with`](Var::backward_with)), [`AutogradError::NoGradient`] if it depends on
    /// nothing that needs a gradient, [`AutogradError::GraphFreed`] after an earlier backward on
    /// the same graph.
    pub fn backward(&self) -> Result<()> {
        self.backward_impl(None, false)
    }

    /// Like [`backward`](Var::backward) for a value of any shape, given the gradient of the
    /// final result with respect to this value.
    ///
    /// # Errors
    /// [`AutogradError::GradShape`] if `grad`'s shape differs from the value's; otherwise as
    /// [`backward`](Var::backward).
    pub fn backward_with(&self, grad: &Tensor<T>) -> Result<()> {
        self.backward_impl(Some(grad), false)
    }

    /// Like [`backward_with`](Var::backward_with) (or [`backward`](Var::backward) with
    /// `None`), but keeps the graph's saved state so it can be differentiated again (PyTorch's
    /// `retain_graph=True`).
    ///
    /// # Errors
    /// As [`backward_with`](Var::backward_with).
    pub fn backward_retain(&self, grad: Option<&Tensor<T>>) -> Result<()> {
        self.backward_impl(grad, true)
    }

    fn backward_impl(&self, grad: Option<&Tensor<T>>, retain: bool) -> Result<()> {
        let seed = match grad {
            Some(g) => {
                if g.shape() != self.shape() {
                    return Err(AutogradError::GradShape {
                        op: "backward",
                        expected: self.value.shape_obj(),
                        got: g.shape_obj(),
                    });
                }
                g.clone()
            }
            None => {
                if self.value.numel() != 1 {
                    return Err(AutogradError::NonScalarBackward {
                        shape: self.value.shape_obj(),
                    });
                }
                Tensor::ones(self.shape())
            }
        };
        if self.id == UNTRACKED {
            return Err(AutogradError::NoGradient {
                op: "backward",
                shape: self.value.shape_obj(),
            });
        }
        let mut tape = self.graph.lock();
        if tape.freed {
            return Err(AutogradError::GraphFreed);
        }
        let top = self.id as usize;
        let mut grads: Vec<Option<Tensor<T>>> = Vec::new();
        grads.resize_with(top + 1, || None);
        grads[top] = Some(seed);
        for i in (0..=top).rev() {
            let Some(g) = grads[i].take() else { continue };
            match &mut tape.nodes[i].kind {
                NodeKind::Leaf { grad } => {
                    *grad = Some(match grad.take() {
                        None => g,
                        Some(old) => add_same_shape(old, &g),
                    });
                    continue;
                }
                NodeKind::Param(p) => {
                    p.accumulate_grad(&g)?;
                    continue;
                }
                NodeKind::Op { .. } => {}
            }
            let node = &tape.nodes[i];
            let NodeKind::Op { parents, backward } = &node.kind else {
                unreachable!("leaf and parameter nodes were handled above")
            };
            let Some(f) = backward.as_ref() else {
                return Err(AutogradError::GraphFreed);
            };
            let op = node.op;
            let pgrads = f(&g)?;
            assert_eq!(
                pgrads.len(),
                parents.len(),
                "{op}: backward returned {} gradients for {} inputs",
                pgrads.len(),
                parents.len()
            );
            for (&pid, pg) in parents.iter().zip(pgrads) {
                let Some(pg) = pg else { continue };
                if pid == UNTRACKED {
                    continue;
                }
                let pid = pid as usize;
                let expected = &tape.nodes[pid].shape;
                if pg.shape() != expected.as_slice() {
                    return Err(AutogradError::GradShape {
                        op,
                        expected: Shape::from(expected),
                        got: pg.shape_obj(),
                    });
                }
                grads[pid] = Some(match grads[pid].take() {
                    None => pg,
                    Some(old) => add_same_shape(old, &pg),
                });
            }
        }
        if !retain {
            for node in tape.nodes.iter_mut() {
                if let NodeKind::Op { backward, .. } = &mut node.kind {
                    *backward = None;
                }
            }
            tape.freed = true;
        }
        Ok(())
    }
}

/// `a + b` for tensors of equal shape, reusing `a`'s buffer when it is not shared.
pub(crate) fn add_same_shape<T: Element>(mut a: Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
    debug_assert_eq!(a.shape(), b.shape());
    a.array_mut().zip_mut_with(&b.view(), |x, &y| *x += y);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f64], shape: &[usize]) -> Tensor<f64> {
        Tensor::from_vec(v.to_vec(), shape).unwrap()
    }

    #[test]
    fn constants_record_nothing() {
        let g = Graph::<f64>::new();
        let a = g.constant(t(&[1.0, 2.0], &[1, 2]));
        let b = g.constant(t(&[3.0, 4.0], &[2, 1]));
        let c = a.matmul(&b).unwrap();
        assert!(!c.requires_grad());
        assert_eq!(g.len(), 0);
        let e = c.backward().unwrap_err();
        assert!(e.to_string().contains("does not require a gradient"));
    }

    #[test]
    fn no_grad_graph_records_nothing() {
        let g = Graph::<f64>::no_grad();
        let p = Param::new(t(&[1.0, 2.0], &[2, 1]));
        let x = g.leaf(t(&[1.0, 1.0], &[1, 2]));
        let y = x.matmul(&g.param(&p)).unwrap();
        assert_eq!(y.value().to_vec(), vec![3.0]);
        assert_eq!(g.len(), 0);
        assert!(y.backward().is_err());
    }

    #[test]
    fn mixing_graphs_is_an_error() {
        let g1 = Graph::<f64>::new();
        let g2 = Graph::<f64>::new();
        let a = g1.leaf(t(&[1.0], &[1, 1]));
        let b = g2.leaf(t(&[1.0], &[1, 1]));
        let e = a.matmul(&b).unwrap_err();
        assert_eq!(e, AutogradError::GraphMismatch { op: "matmul" });
        assert!(e.to_string().contains("different graphs"));
    }

    #[test]
    fn backward_needs_scalar_or_matching_grad() {
        let g = Graph::<f64>::new();
        let a = g.leaf(t(&[1.0, 2.0], &[1, 2]));
        let e = a.backward().unwrap_err();
        assert_eq!(
            e.to_string(),
            "backward: output of shape [1, 2] is not a scalar; pass an output gradient with backward_with"
        );
        let e = a.backward_with(&t(&[1.0], &[1])).unwrap_err();
        assert!(e.to_string().contains("[1]") && e.to_string().contains("[1, 2]"));
        a.backward_with(&t(&[1.0, 1.0], &[1, 2])).unwrap();
        assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 1.0]);
    }

    #[test]
    fn grads_accumulate_until_cleared_and_freed_graph_errors() {
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[1.0, 2.0], &[1, 2]));
        let w = g.constant(t(&[3.0, 4.0], &[2, 1]));
        let y = x.matmul(&w).unwrap();
        y.backward_retain(None).unwrap();
        y.backward_retain(None).unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 8.0]);
        x.zero_grad();
        assert!(x.grad().is_none());
        y.backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 4.0]);
        assert_eq!(y.backward().unwrap_err(), AutogradError::GraphFreed);
    }

    #[test]
    fn reused_value_gets_sum_of_gradients() {
        // y = x · x (as [1,2]·[2,1] with x reused through a transpose): dy/dx = 2x.
        let g = Graph::<f64>::new();
        let x = g.leaf(t(&[3.0, 5.0], &[1, 2]));
        let y = x.matmul(&x.transpose(0, 1).unwrap()).unwrap();
        y.backward().unwrap();
        assert_eq!(x.grad().unwrap().to_vec(), vec![6.0, 10.0]);
    }

    #[test]
    fn frozen_param_gets_no_gradient() {
        let g = Graph::<f64>::new();
        let p = Param::new(t(&[1.0, 2.0], &[2, 1]));
        let q = Param::new(t(&[1.0, 1.0], &[1, 2]));
        p.set_requires_grad(false);
        let y = g.param(&q).matmul(&g.param(&p)).unwrap();
        y.backward().unwrap();
        assert!(p.grad().is_none());
        assert_eq!(q.grad().unwrap().to_vec(), vec![1.0, 2.0]);
    }
}
