"""Pages of the assessments app (namespace ``assessments``). Who may use each: tests/test_access_matrix.py."""

from django.urls import path

from . import views

app_name = "assessments"

urlpatterns = [
    path("agreements/", views.AgreementListView.as_view(), name="agreement-list"),
    path("partners/search/", views.partner_search, name="partner-search"),
    path("agreements/<id:pk>/", views.AgreementDetailView.as_view(), name="agreement-detail"),
    path("agreements/<id:pk>/assessments/new/", views.AssessmentStartView.as_view(), name="assessment-start"),
    path("assessments/<id:pk>/", views.AssessmentDetailView.as_view(), name="assessment-detail"),
    path("assessments/<id:pk>/edit/", views.AssessmentEditView.as_view(), name="assessment-edit"),
    path("assessments/<id:pk>/review/", views.AssessmentReviewView.as_view(), name="assessment-review"),
    path("assessments/<id:pk>/approve/", views.AssessmentApproveView.as_view(), name="assessment-approve"),
    path("assessments/<id:pk>/return/", views.AssessmentReturnView.as_view(), name="assessment-return"),
]
