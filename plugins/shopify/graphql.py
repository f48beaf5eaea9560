"""The GraphQL documents the plugin sends, one operation each. The fake
Shopify of the test kit (``app.testing.shopify``) answers them by operation
name, so a name changed here must change there too."""

#: Line items read with each order; an order with more is read again alone
#: with up to :data:`MAX_LINE_ITEMS`.
LINE_ITEMS_PER_ORDER = 20
MAX_LINE_ITEMS = 250

ORDER_FIELDS = """
fragment HelplineOrder on Order {
  id
  name
  email
  phone
  createdAt
  processedAt
  updatedAt
  cancelledAt
  cancelReason
  closedAt
  currencyCode
  displayFinancialStatus
  displayFulfillmentStatus
  currentSubtotalPriceSet { shopMoney { amount currencyCode } }
  currentTotalPriceSet { shopMoney { amount currencyCode } }
  customer {
    id
    firstName
    lastName
    displayName
    verifiedEmail
    defaultEmailAddress { emailAddress }
    defaultPhoneNumber { phoneNumber }
  }
  lineItems(first: $lineItemsFirst) {
    pageInfo { hasNextPage }
    nodes {
      id
      title
      variantTitle
      sku
      quantity
      currentQuantity
      unfulfilledQuantity
      originalUnitPriceSet { shopMoney { amount currencyCode } }
    }
  }
}
"""

SHOP_INFO = """
query ShopInfo {
  shop { name myshopifyDomain currencyCode }
}
"""

ORDERS_COUNT = """
query OrdersCount {
  ordersCount(limit: null) { count precision }
}
"""

BACKFILL_ORDERS = (
    """
query BackfillOrders($first: Int!, $after: String, $lineItemsFirst: Int!) {
  orders(first: $first, after: $after, sortKey: ID) {
    pageInfo { hasNextPage endCursor }
    nodes { ...HelplineOrder }
  }
}
"""
    + ORDER_FIELDS
)

ORDER = (
    """
query OrderForHelpline($id: ID!, $lineItemsFirst: Int!) {
  order(id: $id) { ...HelplineOrder }
}
"""
    + ORDER_FIELDS
)

ORDER_EDIT_BEGIN = """
mutation OrderEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder {
      id
      lineItems(first: 250) { nodes { id quantity editableQuantity } }
    }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_SET_QUANTITY = """
mutation OrderEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!, $restock: Boolean) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity, restock: $restock) {
    calculatedLineItem { id quantity }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_COMMIT = """
mutation OrderEditCommit($id: ID!, $notifyCustomer: Boolean, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    order { id }
    userErrors { field message }
  }
}
"""

ORDER_CANCEL = """
mutation OrderCancel(
  $orderId: ID!
  $reason: OrderCancelReason!
  $refundMethod: OrderCancelRefundMethodInput
  $restock: Boolean!
  $notifyCustomer: Boolean
  $staffNote: String
) {
  orderCancel(
    orderId: $orderId
    reason: $reason
    refundMethod: $refundMethod
    restock: $restock
    notifyCustomer: $notifyCustomer
    staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

JOB_STATUS = """
query JobStatus($id: ID!) {
  job(id: $id) { id done }
}
"""
