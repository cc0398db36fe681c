// A circular doubly-linked intrusive list. Nodes are embedded in their owners; the list never
// allocates. A node knows whether it is linked; unlinking an unlinked node is a no-op.
#pragma once

#include <cstddef>

namespace ustack {

class ListNode {
 public:
  ListNode() = default;
  ListNode(const ListNode&) = delete;
  ListNode& operator=(const ListNode&) = delete;
  ~ListNode() { Unlink(); }

  bool linked() const { return next_ != nullptr; }
  void Unlink() {
    if (!next_) return;
    prev_->next_ = next_;
    next_->prev_ = prev_;
    next_ = prev_ = nullptr;
  }

 private:
  friend class ListHead;
  ListNode* prev_ = nullptr;
  ListNode* next_ = nullptr;
};

class ListHead {
 public:
  ListHead() { head_.prev_ = head_.next_ = &head_; }
  ListHead(const ListHead&) = delete;
  ListHead& operator=(const ListHead&) = delete;
  ~ListHead() {
    while (!empty()) head_.next_->Unlink();
    head_.next_ = head_.prev_ = nullptr;
  }

  bool empty() const { return head_.next_ == &head_; }
  ListNode* front() const { return empty() ? nullptr : head_.next_; }
  void PushBack(ListNode* n) { InsertBefore(&head_, n); }
  void PushFront(ListNode* n) { InsertBefore(head_.next_, n); }
  ListNode* PopFront() {
    ListNode* n = front();
    if (n) n->Unlink();
    return n;
  }
  // Next node after n, or nullptr at the end.
  ListNode* Next(const ListNode* n) const { return n->next_ == &head_ ? nullptr : n->next_; }

 private:
  static void InsertBefore(ListNode* pos, ListNode* n) {
    n->Unlink();
    n->next_ = pos;
    n->prev_ = pos->prev_;
    pos->prev_->next_ = n;
    pos->prev_ = n;
  }
  ListNode head_;
};

// A list node that points back to its owner, for objects on several lists at once.
template <typename T>
class OwnedNode : public ListNode {
 public:
  explicit OwnedNode(T* owner) : owner_(owner) {}
  T* owner() const { return owner_; }

 private:
  T* owner_;
};

}  // namespace ustack
